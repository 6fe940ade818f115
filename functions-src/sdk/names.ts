/**
 * The SDK modules in this folder, each bundled as sdk/<name>.js beside index.js (stacks/broker-package.ts). A file of
 * its own, with no imports, so the CDKTF app reads the list without type-checking the SDKs.
 */
export const SDK_MODULES = ["cosmos", "identity", "redis", "storage"] as const;
