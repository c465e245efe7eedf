//! The ceiling for flowgate's benchmarks: the least an axum server can do to
//! answer `GET /hello` with a small JSON body. Built with the same release
//! profile and run on the same core as flowgate.

use axum::{Router, http::header, response::IntoResponse, routing::get};

async fn hello() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"greeting":"Hello, Ada"}"#,
    )
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9190".to_owned());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {addr}: {err}");
            std::process::exit(1);
        }
    };
    if let Ok(local) = listener.local_addr() {
        println!("baseline listening on http://{local}");
    }
    let app = Router::new().route("/hello", get(hello));
    if let Err(err) = axum::serve(listener, app).await {
        eprintln!("server error: {err}");
        std::process::exit(1);
    }
}
