/** Every key, by screen. */
import React from 'react';
import { Box } from 'ink';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useHelpKeys } from '../hooks/use-help-keys.js';
import { resolveCursor } from '../state/list-window.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

export const HELP_LINES: readonly string[] = [
  'Moving',
  '  Up/Down j/k     previous / next row',
  '  PgUp/PgDn      a page up / down (also Ctrl-B / Ctrl-F)',
  '  g/G Home/End   first / last row',
  '  Enter Right l  drill in: service, chain, the jump target of a rule',
  '  Esc Bksp Left h  back to the same row you left; clears a filter first',
  'Finding',
  '  /              fuzzy filter: names, IPs, ports, endpoints, chains',
  '                 type to filter, Up/Down pick, Enter open, Tab keep, Esc cancel',
  '                 services terms: ep:0 local:0 type:nodeport policy:local',
  '                 ns:NAME problems (combine with words: ns:prod ep:0 web)',
  '  :              command line; Enter runs, Esc closes:',
  '                 :svc [filter|id]  :hooks  :problems  :top  :chain NAME [table]',
  '                 :diff FILE  :help  :q',
  '                 :trace IP:PORT [src] [tcp|udp|sctp]',
  '                 Tab completes (palette: Tab Up/Down pick), Up/Down history',
  'Screens',
  '  Services       s sort (id / packets / rate / endpoints / conns with',
  '                 conntrack), t trace cluster IP',
  '  Service        endpoint table (Enter: its DNAT rule), then entry points:',
  '                 Enter opens a tree, o all; t traces the selected entry;',
  '                 PKTS * = not this entry\'s alone, ^ = shown above',
  '  ! on a row     no endpoints, or none on this node under policy Local',
  '  Nodes    N     --nodes: back to the Nodes screen; Enter there opens a node;',
  '                 != (≠) before a service: its endpoints differ across nodes',
  '  Hooks  :hooks  the netfilter entry points; Enter opens the chain',
  '  Problems :problems  what doctor finds; Enter opens the service or the rule',
  '  Chain          r rules as written / readable; s sort (order / packets /',
  '                 rate); Enter follows a jump',
  '  Top    :top    busiest rules of every chain (packets/s, then packets)',
  '  Trace  :trace  Tab next field, Enter traces; Enter on a step opens it',
  '                 j/k walk the outcomes, then on into the path; G last step',
  '                 assume: EXPR=true|false; … decides matches the dump cannot',
  '  Diff   :diff FILE  FILE (before) against the dump on screen (now);',
  '                 Enter opens the service or chain when it is on screen',
  'Always',
  '  p              pause / resume live updates (--source-cmd, local node, file)',
  '  R              refresh now (read the live source at once)',
  '  ?              this help (? or Esc to leave)',
  '  q  Ctrl-C      quit',
  '',
  'Counters come from the dump, shown as iptables -v does (K, M, G: 1000s).',
  'Live: PKT/S is packets per second since the last refresh, ΔPKTS the change',
  '(wide terminals); • marks rows that counted since the last refresh. A failed',
  'refresh keeps the last good snapshot on screen and says why.',
  'Connections (--conntrack FILE, --conntrack-cmd CMD, the local node): CONN',
  'counts the live conntrack entries per service port and endpoint; ΔCONN and',
  'the endpoint\'s detail give the change since the conntrack read before, its',
  'states (ESTABLISHED 12 · TIME_WAIT 3) and how many were masqueraded.',
  'Tree and trace come from one tracer: a new connection (ctstate NEW) from a',
  'client off the node unless a source is given; node addresses from --node-ip.',
  'Only -m statistic is a chance: a match the dump cannot decide (-m set, …)',
  'splits the outcomes into "if …" cases, each summing to 100%.',
];

export function HelpScreen(props: ScreenProps): React.ReactElement {
  const { frame, height } = props;
  const theme = useTheme();
  const page = Math.max(1, height - 1);
  useHelpKeys(props, HELP_LINES.length, page);
  const cursor = resolveCursor(frame.main, HELP_LINES.length, String);
  return (
    <Box flexDirection="column" height={height}>
      <Line text="Help · kubechains explores kube-proxy's iptables rules (read-only)" style={theme.header} />
      <ListView rows={HELP_LINES} cursor={cursor} top={frame.main.top} height={page} render={(l) => l} />
    </Box>
  );
}
