//! A TCP relay the tests can cut: a database (or any server) as a client sees it when the
//! network or the server goes away for a moment, and comes back.

use crate::common;

/// A TCP relay between the server and PostgreSQL that the test can cut: the database as the
/// server sees it when the network or the database server goes away for a moment.
pub struct Relay {
    /// Where it listens: an address of its own, so that the port stays free while it is cut.
    pub ip: std::net::Ipv4Addr,
    pub port: u16,
    upstream: String,
    accepting: Option<tokio::task::JoinHandle<()>>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    pub async fn start(upstream: String) -> Relay {
        let ip = common::own_address();
        let [port] = common::free_ports(ip);
        let mut relay = Relay {
            ip,
            port,
            upstream,
            accepting: None,
            connections: Default::default(),
        };
        relay.restore().await;
        relay
    }

    /// Accepts and relays connections (again).
    pub async fn restore(&mut self) {
        let listener = tokio::net::TcpListener::bind((self.ip, self.port))
            .await
            .unwrap();
        let (upstream, connections) = (self.upstream.clone(), self.connections.clone());
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let relayed = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                connections.lock().unwrap().push(relayed);
            }
        }));
    }

    /// Drops every relayed connection and refuses new ones.
    pub fn cut(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

/// `url` with its host and port replaced by the relay's.
pub fn through(url: &str, relay: &Relay) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_host(Some(&relay.ip.to_string())).unwrap();
    url.set_port(Some(relay.port)).unwrap();
    url.to_string()
}
