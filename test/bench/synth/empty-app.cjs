// The synth bench's floor: a CDKTF app with one empty stack, so `cdktf synth --app "node <this>"` measures what the
// cdktf CLI costs around any app (its start, the terraform version checks, reading the output back).
"use strict";
const { App, TerraformStack } = require("cdktf");

const app = new App();
new TerraformStack(app, "empty");
app.synth();
