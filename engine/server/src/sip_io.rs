//! SIP sockets: one UDP socket and one TCP listener on the same address, plus outbound TCP
//! connections opened on demand. Everything received is handed to the engine loop as whole
//! messages (TCP is framed by Content-Length here).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use voxgate_sip::message::StreamFramer;
use voxgate_sip::{Transmit, Transport};

/// Largest UDP datagram we accept; anything longer is truncated and rejected by the parser.
const MAX_DATAGRAM: usize = 65_535;

/// One whole SIP message from the network.
#[derive(Debug)]
pub struct Inbound {
    /// How it arrived.
    pub transport: Transport,
    /// Who sent it.
    pub source: SocketAddr,
    /// The message bytes.
    pub bytes: Vec<u8>,
}

type Writers = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>>>;

/// Sending half of the SIP sockets; cheap to clone.
#[derive(Clone)]
pub struct SipIo {
    udp: Arc<UdpSocket>,
    tcp_writers: Writers,
    inbound: mpsc::Sender<Inbound>,
}

impl SipIo {
    /// Bind UDP (and TCP when `tcp`) on `listen`; returns the sender, the stream of inbound
    /// messages and the address really bound (port 0 picks one).
    pub async fn bind(
        listen: SocketAddr,
        tcp: bool,
    ) -> io::Result<(Self, mpsc::Receiver<Inbound>, SocketAddr)> {
        let udp = Arc::new(UdpSocket::bind(listen).await?);
        let bound = udp.local_addr()?;
        let (tx, rx) = mpsc::channel(4096);
        let io = Self {
            udp: udp.clone(),
            tcp_writers: Arc::default(),
            inbound: tx.clone(),
        };
        tokio::spawn(read_udp(udp, tx));
        if tcp {
            let listener = TcpListener::bind(bound).await?;
            tokio::spawn(accept_tcp(listener, io.clone()));
        }
        Ok((io, rx, bound))
    }

    /// Send one message; never blocks the caller.
    pub fn send(&self, transmit: Transmit) {
        match transmit.transport {
            Transport::Udp => {
                if let Err(e) = self
                    .udp
                    .try_send_to(&transmit.payload, transmit.destination)
                {
                    if e.kind() == io::ErrorKind::WouldBlock {
                        let udp = self.udp.clone();
                        tokio::spawn(async move {
                            udp.send_to(&transmit.payload, transmit.destination).await
                        });
                    } else {
                        tracing::warn!(destination = %transmit.destination, "SIP UDP send failed: {e}");
                    }
                }
            }
            Transport::Tcp => self.send_tcp(transmit.destination, transmit.payload),
        }
    }

    fn send_tcp(&self, destination: SocketAddr, payload: Vec<u8>) {
        let mut writers = self.tcp_writers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(writer) = writers.get(&destination)
            && writer.send(payload.clone()).is_ok()
        {
            return;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(payload);
        writers.insert(destination, tx);
        let io = self.clone();
        tokio::spawn(async move {
            match TcpStream::connect(destination).await {
                Ok(stream) => io.serve_tcp(stream, destination, rx).await,
                Err(e) => {
                    tracing::warn!(%destination, "SIP TCP connect failed: {e}");
                    io.forget(destination);
                }
            }
        });
    }

    fn forget(&self, peer: SocketAddr) {
        self.tcp_writers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&peer);
    }

    async fn serve_tcp(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    ) {
        let (mut reader, mut writer) = stream.into_split();
        let write = async move {
            while let Some(bytes) = outgoing.recv().await {
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        };
        let inbound = self.inbound.clone();
        let read = async move {
            let mut framer = StreamFramer::default();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                framer.push(&buf[..n]);
                while let Some(frame) = framer.next_message() {
                    match frame {
                        Ok(bytes) => {
                            if inbound
                                .send(Inbound {
                                    transport: Transport::Tcp,
                                    source: peer,
                                    bytes,
                                })
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(%peer, "closing SIP TCP connection: {e}");
                            return;
                        }
                    }
                }
            }
        };
        tokio::select! {
            () = write => {}
            () = read => {}
        }
        self.forget(peer);
    }
}

async fn read_udp(udp: Arc<UdpSocket>, tx: mpsc::Sender<Inbound>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        match udp.recv_from(&mut buf).await {
            Ok((n, source)) => {
                let inbound = Inbound {
                    transport: Transport::Udp,
                    source,
                    bytes: buf[..n].to_vec(),
                };
                if tx.send(inbound).await.is_err() {
                    return;
                }
            }
            // ICMP port-unreachable surfaces as an error on some systems: keep serving.
            Err(e) => tracing::debug!("SIP UDP receive error: {e}"),
        }
    }
}

async fn accept_tcp(listener: TcpListener, io: SipIo) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let (tx, rx) = mpsc::unbounded_channel();
                io.tcp_writers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(peer, tx);
                tokio::spawn(io.clone().serve_tcp(stream, peer, rx));
            }
            Err(e) => tracing::warn!("SIP TCP accept failed: {e}"),
        }
    }
}
