// A client built on oauth4webapi (panva's certified OAuth 2 / OpenID Connect client
// library), driven by tests/it/high_assurance.rs one JSON line at a time: each line read
// from standard input is a command, each line written is its answer ({"ok": …} or
// {"error": code, "description", "status"}). The test plays the browser in between.
//
//   {"op": "discover", "issuer": URL}
//   {"op": "client", "client_id": ID, "auth": {"method": "client_secret_basic" |
//        "client_secret_post" | "none", "secret": S}}
//   {"op": "par", "params": {...}}              -> {"request_uri", "expires_in"}
//   {"op": "code", "callback": URL, "state": S, "verifier": V, "redirect_uri": URI}
//                                               -> the token response
import { createInterface } from "node:readline";
import * as oauth from "oauth4webapi";

// Warrant runs on loopback over plain HTTP in these tests.
const insecure = { [oauth.allowInsecureRequests]: true };

let as;
let client;
let clientAuth;

function authentication(auth) {
  switch (auth.method) {
    case "client_secret_basic":
      return oauth.ClientSecretBasic(auth.secret);
    case "client_secret_post":
      return oauth.ClientSecretPost(auth.secret);
    case "none":
      return oauth.None();
    default:
      throw new Error(`unknown method ${auth.method}`);
  }
}

const commands = {
  async discover({ issuer }) {
    const url = new URL(issuer);
    const response = await oauth.discoveryRequest(url, { ...insecure, algorithm: "oauth2" });
    as = await oauth.processDiscoveryResponse(url, response);
    return as;
  },
  async client({ client_id, auth }) {
    client = { client_id };
    clientAuth = authentication(auth);
    return client;
  },
  async par({ params }) {
    const response = await oauth.pushedAuthorizationRequest(as, client, clientAuth, params, insecure);
    return await oauth.processPushedAuthorizationResponse(as, client, response);
  },
  async code({ callback, state, verifier, redirect_uri }) {
    const parameters = oauth.validateAuthResponse(as, client, new URL(callback), state);
    const response = await oauth.authorizationCodeGrantRequest(
      as, client, clientAuth, parameters, redirect_uri, verifier, insecure,
    );
    return await oauth.processAuthorizationCodeResponse(as, client, response);
  },
};

// The OAuth error the server answered, or what the library refused itself.
async function failure(error) {
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // A refused client authentication carries a Basic challenge; the body says why.
    const body = await error.response.json().catch(() => ({}));
    const challenge = error.cause[0]?.parameters ?? {};
    return {
      error: challenge.error ?? body.error,
      description: challenge.error_description ?? body.error_description,
      status: error.status,
      challenge: error.cause[0]?.scheme,
    };
  }
  return {
    error: error.error ?? error.code ?? error.name,
    description: error.error_description ?? error.message,
    status: error.status,
  };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line);
  let answer;
  try {
    answer = { ok: await commands[command.op](command) };
  } catch (error) {
    answer = await failure(error);
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
