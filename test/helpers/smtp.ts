// A real SMTP server (smtp-server) on 127.0.0.1 port 0 that parses what it receives (mailparser).
// Plain SMTP by default (STARTTLS disabled, so no certificate is needed); `tls: 'starttls'` or
// `'implicit'` serves TLS with smtp-server's own self-signed certificate, which a client that
// checks certificates refuses: what a misconfigured mail server looks like.
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  /** The user the client authenticated as, if any. */
  user: string | undefined;
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  port: number;
  /** Every accepted message, in order. */
  inbox: ReceivedMail[];
  /** While true, every recipient is refused with 550 (the reply quotes the address, as real servers do). */
  refuseRecipients: boolean;
  close(): Promise<void>;
}

export async function startSmtpServer(auth: { user: string; password: string }, options: { tls?: 'none' | 'starttls' | 'implicit' } = {}): Promise<TestSmtpServer> {
  const tls = options.tls ?? 'none';
  const inbox: ReceivedMail[] = [];
  const result: TestSmtpServer = {
    port: 0,
    inbox,
    refuseRecipients: false,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    // Authentication over plain SMTP is fine on the loopback interface of a test.
    allowInsecureAuth: true,
    ...(tls === 'none' ? { disabledCommands: ['STARTTLS'] } : {}),
    ...(tls === 'implicit' ? { secure: true } : {}),
    logger: false,
    onAuth(credentials, _session, callback) {
      if (credentials.username === auth.user && credentials.password === auth.password) return callback(null, { user: auth.user });
      return callback(new Error('Invalid username or password'));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (result.refuseRecipients) return callback(Object.assign(new Error(`Mailbox <${address.address}> unavailable`), { responseCode: 550 }));
      return callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          inbox.push({
            user: session.user as string | undefined,
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            parsed,
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  // A client that refuses the certificate drops the connection mid-handshake: the server says so
  // with an 'error' event, which must not end the test process.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  result.port = typeof address === 'object' && address ? address.port : 0;
  return result;
}
