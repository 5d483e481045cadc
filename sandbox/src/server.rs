//! The accept loop. axum's own `serve` cannot close a connection instead of answering, so
//! connections are driven by hyper directly: a response marked [`DropConnection`] becomes
//! a service error, and hyper closes the socket without writing a byte of it — the client
//! sees exactly what a network failure looks like.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower_service::Service;

use crate::faults::DropConnection;

/// How long `shutdown` waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

pub struct Server {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub fn spawn(router: Router, listener: TcpListener, v6: Option<TcpListener>) -> Server {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(accept(router.clone(), listener, stopped.clone()))];
        if let Some(v6) = v6 {
            tasks.push(tokio::spawn(accept(router, v6, stopped)));
        }
        Server { stop, tasks }
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    pub fn abort(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.abort();
        }
    }
}

async fn accept(router: Router, listener: TcpListener, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(router.clone(), stream, stopped.clone()));
            }
            _ = stopped.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained =
        tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn connection(router: Router, stream: tokio::net::TcpStream, mut stopped: watch::Receiver<bool>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let mut router = router.clone();
        async move {
            let response = match router.call(req.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(Dropped);
            }
            Ok::<_, Dropped>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopped.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
