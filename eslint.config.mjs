// ESLint flat config (ESLint 9+ reads only this file; package.json cannot hold it). Formatting is prettier's job:
// the recommended sets below carry no formatting rules. Typed linting is left out: it re-runs the type checker,
// and `npm run typecheck` already does that.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", ".gen/", "**/dist/", "coverage/", "test/**/__snapshots__/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        __dirname: "readonly",
        __filename: "readonly",
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        fetch: "readonly",
        performance: "readonly",
        structuredClone: "readonly",
        globalThis: "readonly",
      },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (a required parameter position, a discarded tuple element).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // `cond ? a++ : b++` as a statement is a style this code uses on purpose.
      "@typescript-eslint/no-unused-expressions": ["error", { allowTernary: true }],
    },
  },
  {
    // Tests read untyped data (synthesized Terraform JSON, problem+json bodies) and index it freely.
    // jest.isolateModules re-loads a module with require() to see what it does at load time.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
