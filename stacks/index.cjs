// `azure-token-broker/constructs` for apps that run plain JavaScript (or ts-node): the package ships TypeScript,
// so tsx compiles it on load, as it does for the `token-broker` command. An app already run by tsx loads
// stacks/index.ts itself.
if (!require.extensions[".ts"]) require("tsx/cjs/api").register();
module.exports = require("./index.ts");
