//! A client app that only records what it is sent: `POST …/addupdateuser/` requests, with
//! their `Authorization` header and JSON body. It can answer slowly, answer an error, or be
//! down (closing connections unanswered), and it counts requests for one user that were in
//! flight at the same time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver answered with success.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub authorization: Option<String>,
    pub record: serde_json::Value,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    refused: usize,
    status: u16,
    delay: Duration,
    down: bool,
    in_flight: HashMap<String, usize>,
    overlaps: usize,
}

/// The running receiver; its threads end with the test process.
#[derive(Clone)]
pub struct Receiver {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    /// Listens on a free loopback port, answering 200.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            status: 200,
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Self { base_url, state }
    }

    /// Answer `status` after `delay` from now on.
    pub fn answer(&self, status: u16, delay: Duration) {
        let mut state = self.state.lock().unwrap();
        state.status = status;
        state.delay = delay;
    }

    /// Close every connection unanswered (`true`), as an app that is down, or serve again.
    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Requests answered with an error status.
    pub fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    /// Requests that arrived while another for the same user was being answered.
    pub fn overlaps(&self) -> usize {
        self.state.lock().unwrap().overlaps
    }

    /// The last record received for `username`.
    pub fn last_record_of(&self, username: &str) -> Option<serde_json::Value> {
        self.received()
            .into_iter()
            .rev()
            .find(|r| r.record["username"] == username)
            .map(|r| r.record)
    }

    /// Waits (up to 30 s) until the last record for `username` satisfies `check`.
    pub async fn wait_for(
        &self,
        username: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        for _ in 0..300 {
            if let Some(record) = self.last_record_of(username)
                && check(&record)
            {
                return record;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} never received the expected record of {username}; it has {:?}",
            self.base_url,
            self.received()
        );
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    // Keep-alive: one connection may carry many requests.
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, delay, down) = {
            let state = state.lock().unwrap();
            (state.status, state.delay, state.down)
        };
        if down {
            return;
        }
        let record: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let username = record["username"].as_str().unwrap_or_default().to_owned();
        {
            let mut state = state.lock().unwrap();
            let in_flight = state.in_flight.entry(username.clone()).or_default();
            *in_flight += 1;
            if *in_flight > 1 {
                state.overlaps += 1;
            }
        }
        std::thread::sleep(delay);
        {
            let mut state = state.lock().unwrap();
            *state.in_flight.entry(username).or_default() -= 1;
            if status == 200 {
                state.received.push(Received {
                    path: request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned(),
                    authorization: headers.get("authorization").cloned(),
                    record,
                });
            } else {
                state.refused += 1;
            }
        }
        let answer = if status == 200 {
            r#"{"message": "User account updated"}"#
        } else {
            r#"{"detail": "refused"}"#
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
