// The oncoqual extension: starts `oncoqual lsp` (stdio) for .oqm files.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('oncoqual').get('path') || 'oncoqual';
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  const serverOptions = { run, debug: run };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'oqm' }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.oqm,valuesets/*.json}'),
    },
  };
  client = new LanguageClient('oncoqual', 'oncoqual language server', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
