// An MCP client as MCP clients are: the official TypeScript SDK's Client over the
// Streamable HTTP transport, with an OAuth provider that keeps everything in memory.
// Usage: node mcp-client.mjs <MCP server URL> [<client ID metadata document URL>]
// It connects, is refused (401 with resource_metadata), lets the SDK discover the
// authorization server and register (or, given a document URL, use it as its client id),
// prints {"authorization_url": …} as one line and
// reads the authorization code from the next line of standard input (the test logs the
// user in and consents, as a browser would), then connects again, lists the tools, calls
// one and prints what it got as one JSON line.
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const server = new URL(process.argv[2]);
const clientMetadataUrl = process.argv[3];
const redirectUrl = "http://127.0.0.1:33418/callback";

class MemoryProvider {
  constructor() {
    this.client = undefined;
    this.saved = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
    this.clientMetadataUrl = clientMetadataUrl;
  }
  get redirectUrl() {
    return redirectUrl;
  }
  get clientMetadata() {
    return {
      client_name: "Warrant's MCP end-to-end test",
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(information) {
    this.client = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

const provider = new MemoryProvider();
const connect = async () => {
  const client = new Client({ name: "warrant-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(server, { authProvider: provider });
  await client.connect(transport);
  return { client, transport };
};

const firstTransport = new StreamableHTTPClientTransport(server, { authProvider: provider });
try {
  await new Client({ name: "warrant-e2e", version: "1.0.0" }).connect(firstTransport);
  throw new Error("the MCP server let an unauthenticated client in");
} catch (error) {
  if (!(error instanceof UnauthorizedError)) throw error;
}
if (!provider.authorizationUrl) throw new Error("the SDK did not start an authorization");
console.log(JSON.stringify({ authorization_url: provider.authorizationUrl.href }));

const lines = createInterface({ input: process.stdin });
const code = await new Promise((resolve) => lines.once("line", resolve));
lines.close();
await firstTransport.finishAuth(code.trim());

const { client } = await connect();
const tools = await client.listTools();
const called = await client.callTool({ name: "list_songs", arguments: {} });
await client.close();
console.log(
  JSON.stringify({
    client_id: provider.client.client_id,
    access_token: provider.saved.access_token,
    tools: tools.tools.map((tool) => tool.name),
    called: called.content,
  }),
);
