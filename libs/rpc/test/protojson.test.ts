import { tetragonRoot } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { messageFromJson, messageToJson } from '../src';

const GetEventsResponse = tetragonRoot.lookupType('tetragon.GetEventsResponse');
const GetEventsRequest = tetragonRoot.lookupType('tetragon.GetEventsRequest');

describe('protojson conversion', () => {
  it('round-trips an event in Vigil’s protojson form: wrappers, timestamps, enums, uint64, maps', () => {
    const event = {
      process_exec: {
        process: {
          exec_id: 'bm9kZToxOjI=',
          pid: 4242,
          uid: 0,
          binary: '/usr/bin/curl',
          start_time: '2026-11-29T05:00:00.000001Z',
          cap: { effective: ['CAP_SYS_ADMIN', 'CAP_NET_RAW'] },
          binary_properties: { file: { inode: { number: '18446744073709551615', links: 1 } } },
          pod: { namespace: 'default', pod_labels: { app: 'web' } },
        },
      },
      node_name: 'node-a',
      time: '2026-11-29T05:00:01Z',
    };
    const bytes = GetEventsResponse.encode(messageFromJson(GetEventsResponse, event)).finish();
    expect(messageToJson(GetEventsResponse, GetEventsResponse.decode(bytes))).toEqual(event);
  });

  it('reads durations and field masks of requests', () => {
    const request = {
      aggregation_options: { window_size: '1.5s', channel_buffer_size: '10' },
      field_filters: [
        {
          event_set: ['PROCESS_EXEC'],
          fields: { paths: ['process.binary'] },
          action: 'EXCLUDE',
          invert_event_set: true,
        },
      ],
    };
    const bytes = GetEventsRequest.encode(messageFromJson(GetEventsRequest, request)).finish();
    expect(messageToJson(GetEventsRequest, GetEventsRequest.decode(bytes))).toEqual(request);
  });

  it('refuses a timestamp that is not RFC 3339, naming the value', () => {
    expect(() => messageFromJson(GetEventsResponse, { time: 'yesterday' })).toThrow(
      /not an RFC 3339 timestamp: "yesterday"/,
    );
  });
});
