import type { Event } from '../contracts/events.ts';
import type { Site } from '../contracts/reference.ts';

/** EvalContext: one enriched event as the evaluators see it; `time` is its event time. */
export interface EvalContext {
  topic: string;
  key?: string | undefined;
  event: Event;
  time: number;
  site?: Site | undefined;
  town?: string | undefined;
  townName?: string | undefined;
  /** the event's area (mine working face), from the event or its sensor in the reference data */
  areaId?: string | undefined;
  /** name of an active special period with the `escalate` effect, if any */
  specialPeriod?: string | undefined;
}
