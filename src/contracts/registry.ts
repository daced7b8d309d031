import type { z } from 'zod';
import { EVENT_SCHEMAS, Event } from './events.ts';
import { Alert, AlertEvent } from './alerts.ts';
import { WsClientFrame, WsServerFrame } from './ws.ts';
import { CalendarFile, RosterFile, SitesFile } from './reference.ts';
import { Config } from './config.ts';
import { Rule } from './rules.ts';
import { Command } from './commands.ts';

/** CONTRACT_SCHEMAS: every external contract by file name (JSON Schema is generated from these). */
export const CONTRACT_SCHEMAS: Record<string, z.ZodType> = {
  event: Event,
  ...Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([type, s]) => [`event.${type}`, s])),
  alert: Alert,
  'alert-event': AlertEvent,
  'ws-client-frame': WsClientFrame,
  'ws-server-frame': WsServerFrame,
  sites: SitesFile,
  roster: RosterFile,
  calendar: CalendarFile,
  config: Config,
  rule: Rule,
  command: Command,
};
