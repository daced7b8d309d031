// Shared inputs for the ingest tests: one valid event per shape we exercise and CAP 1.2 documents.

/** MINE_READING: a valid methane reading from a coal mine's safety-monitoring system. */
export const MINE_READING = {
  type: 'mine.reading',
  siteId: 'mine-shm-01',
  sensorId: 'CH4-1201',
  sensorType: 'CH4',
  location: 'coal_face_return',
  value: 0.42,
  unit: '%CH4',
  ts: '2024-07-16T09:30:00+08:00',
} as const;

/** GRID_EVENT: a valid breaker trip. */
export const GRID_EVENT = {
  type: 'grid.event',
  siteId: 'sub-aoqi-110',
  equipmentId: 'QF-101',
  event: 'breaker_trip',
  ts: 1721093400000,
} as const;

/** SENT_MS: 2024-07-16T09:30:00+08:00 in epoch milliseconds. */
export const SENT_MS = Date.parse('2024-07-16T09:30:00+08:00');

/** CAP_ALERT_ZH: a CAP 1.2 thunderstorm-gale (雷雨大风) orange warning as the CMA publishes it. */
export const CAP_ALERT_ZH = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>15062341600000_20240716093000</identifier>
  <sender>鄂托克前旗气象台</sender>
  <sent>2024-07-16T09:30:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>雷雨大风</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>CMA_SIGNAL</valueName><value>11B07</value></eventCode>
    <effective>2024-07-16T09:30:00+08:00</effective>
    <onset>2024-07-16T09:35:00+08:00</onset>
    <expires>2024-07-16T21:30:00+08:00</expires>
    <senderName>鄂托克前旗气象台</senderName>
    <headline>鄂托克前旗气象台发布雷雨大风橙色预警信号</headline>
    <description>受强对流云团影响，预计未来6小时上海庙镇将出现雷雨大风天气，阵风可达10级以上，能见度&lt;500米。</description>
    <instruction><![CDATA[1. 露天矿山停止爆破和高处作业；2. 人员切勿在高大建筑物、树木下避雨 & 远离电力设施。]]></instruction>
    <parameter><valueName>SIGNAL_COLOR</valueName><value>橙色</value></parameter>
    <area>
      <areaDesc>上海庙镇</areaDesc>
      <polygon>38.10,106.80 38.45,106.80 38.45,107.30 38.10,107.30 38.10,106.80</polygon>
      <geocode><valueName>TOWN</valueName><value>shanghaimiao</value></geocode>
      <geocode><valueName>ADMIN_CODE</valueName><value>150623102</value></geocode>
    </area>
  </info>
</alert>`;

/** CAP_UPDATE: an Update with a prefixed namespace, two references and a 预警级别 parameter. */
export const CAP_UPDATE = `<?xml version="1.0" encoding="UTF-8"?>
<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
  <cap:identifier>15062341600000_20240716120000</cap:identifier>
  <cap:sender>鄂托克前旗气象台</cap:sender>
  <cap:sent>2024-07-16T12:00:00+08:00</cap:sent>
  <cap:status>Actual</cap:status>
  <cap:msgType>Update</cap:msgType>
  <cap:scope>Public</cap:scope>
  <cap:references>鄂托克前旗气象台,15062341600000_20240716093000,2024-07-16T09:30:00+08:00 鄂托克前旗气象台,15062341600000_20240716100000,2024-07-16T10:00:00+08:00</cap:references>
  <cap:info>
    <cap:event>雷雨大风</cap:event>
    <cap:severity>Moderate</cap:severity>
    <cap:effective>2024-07-16T12:00:00+08:00</cap:effective>
    <cap:expires>2024-07-16T22:00:00+08:00</cap:expires>
    <cap:parameter><cap:valueName>预警级别</cap:valueName><cap:value>红色</cap:value></cap:parameter>
    <cap:area>
      <cap:areaDesc>上海庙镇、城川镇</cap:areaDesc>
      <cap:geocode><cap:valueName>TOWN</cap:valueName><cap:value>shanghaimiao</cap:value></cap:geocode>
      <cap:geocode><cap:valueName>TOWN</cap:valueName><cap:value>chengchuan</cap:value></cap:geocode>
    </cap:area>
  </cap:info>
</cap:alert>`;

/** capWith replaces one fragment of CAP_ALERT_ZH (for single-field variations). */
export function capWith(from: string, to: string): string {
  if (!CAP_ALERT_ZH.includes(from)) throw new Error(`fixture fragment not found: ${from}`);
  return CAP_ALERT_ZH.replace(from, to);
}

/** BILLION_LAUGHS: the classic entity-expansion document (10^9 "lol"s if expanded). */
export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>`;
