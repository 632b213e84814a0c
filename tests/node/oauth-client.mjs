// A client built on oauth4webapi (panva's certified OAuth 2 / OpenID Connect client
// library), driven by tests/it/high_assurance.rs one JSON line at a time: each line read
// from standard input is a command, each line written is its answer ({"ok": …} or
// {"error": code, "description", "status"}). The test plays the browser in between.
//
//   {"op": "discover", "issuer": URL}
//   {"op": "server", "metadata": {...}}         the server's metadata, given rather than
//                                               discovered
//   {"op": "keys", "alg": "ES256" | "PS256" | "Ed25519", "kid": K} -> the public JWK (kid
//        K, "k1" by default), whose private key private_key_jwt signs with from now on
//   {"op": "client", "client_id": ID, "auth": {"method": "client_secret_basic" |
//        "client_secret_post" | "client_secret_jwt" | "private_key_jwt" | "none",
//        "secret": S, "assertion": {claims to set in every assertion, such as a fixed jti
//        or another aud}}}
//   {"op": "par", "params": {...}}              -> {"request_uri", "expires_in"}
//   {"op": "code", "callback": URL, "state": S, "verifier": V, "redirect_uri": URI}
//                                               -> the token response
//   {"op": "client_credentials", "scope": S, "as": {metadata to use instead, such as
//        another instance's token_endpoint}}   -> the token response
//   {"op": "refresh", "refresh_token": R}      -> the token response
//   {"op": "dpop", "alg": A}                    a new DPoP key; from now on token and pushed
//                                               requests carry proofs of it -> its thumbprint
//   {"op": "resource", "method": M, "url": U, "token": T} -> {"status", "body"}: the
//        library's protected-resource request, with a DPoP proof when a key is set
//   {"op": "proof", "method": M, "url": U, "token": T, "claims": {...}} -> a DPoP proof
//        (claims overridden as given), for the test to send as it likes
import { createInterface } from "node:readline";
import * as oauth from "oauth4webapi";

// Warrant runs on loopback over plain HTTP in these tests.
const insecure = { [oauth.allowInsecureRequests]: true };

let as;
let client;
let clientAuth;
let privateKey;
let dpop;
// Claims the next DPoP proofs get, over what the library puts in.
let proofClaims = {};

// The options every request takes: plain HTTP on loopback, and the DPoP key if any.
function options() {
  return dpop ? { ...insecure, DPoP: dpop } : insecure;
}

function authentication(auth) {
  const modify = {
    [oauth.modifyAssertion]: (_header, payload) => Object.assign(payload, auth.assertion),
  };
  switch (auth.method) {
    case "private_key_jwt":
      return oauth.PrivateKeyJwt(privateKey, modify);
    case "client_secret_jwt":
      return oauth.ClientSecretJwt(auth.secret, modify);
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
  async server({ metadata }) {
    as = metadata;
    return as;
  },
  async keys({ alg, kid = "k1" }) {
    const pair = await oauth.generateKeyPair(alg, { extractable: true });
    privateKey = { key: pair.privateKey, kid };
    const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
    delete jwk.key_ops;
    delete jwk.ext;
    return { ...jwk, kid };
  },
  async client({ client_id, auth }) {
    client = { client_id };
    clientAuth = authentication(auth);
    return client;
  },
  async par({ params }) {
    const response = await oauth.pushedAuthorizationRequest(as, client, clientAuth, params, options());
    return await oauth.processPushedAuthorizationResponse(as, client, response);
  },
  async code({ callback, state, verifier, redirect_uri }) {
    const parameters = oauth.validateAuthResponse(as, client, new URL(callback), state);
    const response = await oauth.authorizationCodeGrantRequest(
      as, client, clientAuth, parameters, redirect_uri, verifier, options(),
    );
    return await oauth.processAuthorizationCodeResponse(as, client, response);
  },
  async dpop({ alg }) {
    const pair = await oauth.generateKeyPair(alg);
    dpop = oauth.DPoP(client, pair, {
      [oauth.modifyAssertion]: (_header, payload) => Object.assign(payload, proofClaims),
    });
    return await dpop.calculateThumbprint();
  },
  async resource({ method, url, token }) {
    const response = await oauth.protectedResourceRequest(
      token, method, new URL(url), new Headers(), null, options(),
    );
    return { status: response.status, body: await response.json() };
  },
  async proof({ method, url, token, claims = {} }) {
    const headers = new Headers();
    proofClaims = claims;
    try {
      await dpop.addProof(new URL(url), headers, method, token);
    } finally {
      proofClaims = {};
    }
    return headers.get("dpop");
  },
  async refresh({ refresh_token }) {
    const response = await oauth.refreshTokenGrantRequest(
      as, client, clientAuth, refresh_token, options(),
    );
    return await oauth.processRefreshTokenResponse(as, client, response);
  },
  async client_credentials({ as: other, scope = "read" }) {
    const server = { ...as, ...other };
    const response = await oauth.clientCredentialsGrantRequest(
      server, client, clientAuth, { scope }, options(),
    );
    return await oauth.processClientCredentialsResponse(server, client, response);
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
