//! A stand-in for the Warrant server's token and profile endpoints: each path answers what
//! the test set, after an optional delay, and every request is recorded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

#[derive(Default)]
struct State {
    answers: HashMap<String, (u16, String, Duration)>,
    requests: Vec<Request>,
}

#[derive(Clone)]
pub struct FakeServer {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl FakeServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Self { base_url, state }
    }

    /// `path` answers `status` with `body` after `delay`.
    pub fn answer(&self, path: &str, status: u16, body: &str, delay: Duration) {
        self.state
            .lock()
            .unwrap()
            .answers
            .insert(path.to_owned(), (status, body.to_owned(), delay));
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
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
        let length = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let (status, answer, delay) = {
            let mut state = state.lock().unwrap();
            state.requests.push(Request {
                path: path.clone(),
                authorization: headers.get("authorization").cloned(),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            state
                .answers
                .get(&path)
                .cloned()
                .unwrap_or((404, "{}".into(), Duration::ZERO))
        };
        std::thread::sleep(delay);
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
