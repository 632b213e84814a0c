//! `/mcp`: the library as a Model Context Protocol server (Streamable HTTP transport, JSON
//! answers, no server-sent events), just enough for an MCP client to connect, list the
//! tools and call one, behind the same guards as the rest of the API: a token with
//! `music:read`, issued for this API when it is a protected resource (`MUSIC_API_RESOURCE`).

use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, post, routes};
use warrant_guards::{TokenHasScope, required_scopes};

use crate::{Library, lock};

required_scopes!(Tools = ["music:read"]);

pub(crate) fn routes() -> Vec<Route> {
    routes![call, stream]
}

/// A JSON-RPC message: a request gets its answer; a notification (no `id`) gets 202.
#[post("/mcp", format = "json", data = "<message>")]
fn call(
    _access: TokenHasScope<Tools>,
    library: &State<Library>,
    message: Json<Value>,
) -> Result<Json<Value>, Status> {
    let Some(id) = message.get("id").cloned() else {
        return Err(Status::Accepted);
    };
    let method = message["method"].as_str().unwrap_or_default();
    let answer = match method {
        "initialize" => Ok(json!({
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": { "tools": {} },
            "serverInfo": { "name": "music-api", "version": env!("CARGO_PKG_VERSION") },
        })),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": [{
            "name": "list_songs",
            "description": "The songs in the library",
            "inputSchema": { "type": "object", "properties": {} },
        }]})),
        "tools/call" if message["params"]["name"] == "list_songs" => {
            let songs = lock(&library.songs).clone();
            Ok(json!({ "content": [{ "type": "text", "text": json!(songs).to_string() }] }))
        }
        "tools/call" => Err((-32602, "unknown tool")),
        _ => Err((-32601, "method not found")),
    };
    Ok(Json(match answer {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err((code, text)) => {
            json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": text } })
        }
    }))
}

/// No server-initiated stream: 405, which tells a client to do without one.
#[get("/mcp")]
fn stream() -> Status {
    Status::MethodNotAllowed
}
