// Types for the parts of `smpp@0.5.1` (farhadi/node-smpp) that riskstream uses; the package ships none.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** PDU: a request or response; parameters are own properties named as in the SMPP v5 spec. */
    interface PDU {
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      /** response builds the matching *_resp (generic_nack for an unknown command) */
      response(options?: Record<string, unknown>): PDU;
      [param: string]: unknown;
    }

    type ResponseCallback = (pdu: PDU) => void;
    type Shortcut = (options?: Record<string, unknown>, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback) => boolean;

    /** Session: one SMPP connection, client or server side. */
    interface Session extends EventEmitter {
      socket: Socket;
      server?: Server;
      /** send returns false (and never calls back) when the socket is not writable */
      send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      bind_transceiver: Shortcut;
      submit_sm: Shortcut;
      deliver_sm: Shortcut;
      enquire_link: Shortcut;
      unbind: Shortcut;
    }

    interface Server extends NetServer {
      sessions: Session[];
    }

    interface ConnectOptions {
      host?: string;
      port?: number;
      url?: string;
      tls?: boolean;
      auto_enquire_link_period?: number;
    }

    type Encoder = { match(v: string): boolean; encode(v: string): Buffer; decode(v: Buffer): string };
  }

  const smpp: {
    /** a PDU from a command name and parameters, or parsed from its bytes */
    PDU: new (command: string | Buffer, options?: Record<string, unknown>) => smpp.PDU & { toBuffer(): Buffer };
    connect(options: smpp.ConnectOptions, listener?: () => void): smpp.Session;
    createServer(listener: (session: smpp.Session) => void): smpp.Server;
    createServer(options: Record<string, unknown>, listener: (session: smpp.Session) => void): smpp.Server;
    errors: Record<string, number>;
    encodings: Record<string, smpp.Encoder> & { default: string };
    gsmCoder: { GSM: { chars: string }; encode(text: string, shift: number): Buffer; decode(bytes: Buffer, shift: number): string };
    consts: Record<string, Record<string, number>>;
  } & Record<string, unknown>;
  export = smpp;
}
