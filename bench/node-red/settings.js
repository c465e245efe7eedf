// Node-RED settings for bench/run: the peer that users would pick instead of
// flowgate, serving only the flows in bench/node-red/flows.json.
//
// bench/run starts Node-RED with this file, a temp userDir holding a copy of
// flows.json, and NODE_RED_PORT set to a free port on 127.0.0.1. Everything
// that is not needed to answer the two benchmark routes is off: no editor or
// admin API, no telemetry (it would reach out of the machine), quiet logs.
module.exports = {
    flowFile: "flows.json",
    // The bench flows have no credentials to encrypt.
    credentialSecret: false,
    flowFilePretty: true,

    uiHost: "127.0.0.1",
    uiPort: parseInt(process.env.NODE_RED_PORT, 10) || 1880,

    // No editor and no admin API: only the http-in routes are served, at /.
    httpAdminRoot: false,
    httpNodeRoot: "/",
    disableEditor: true,

    // Never contact the Node-RED project (update checks, usage data).
    telemetry: { enabled: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },

    // warn: no line per request or per deploy step, like flowgate's RUST_LOG=warn.
    logging: {
        console: { level: "warn", metrics: false, audit: false },
    },

    // Nothing is installed or loaded at run time.
    functionExternalModules: false,
    functionTimeout: 0,
    exportGlobalContextKeys: false,
    externalModules: {
        autoInstall: false,
        palette: { allowInstall: false, allowUpdate: false, allowUpload: false },
        modules: { allowInstall: false },
    },
};
