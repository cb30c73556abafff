/** Where you are: "Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-… > KUBE-SEP-…", fitted to one line. */
import React from 'react';
import { fitCrumbs } from '../model/crumbs.js';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface BreadcrumbsProps {
  readonly crumbs: readonly string[];
  readonly width: number;
}

export function Breadcrumbs({ crumbs, width }: BreadcrumbsProps): React.ReactElement {
  const theme = useTheme();
  return <Line text={fitCrumbs(crumbs, width)} style={theme.crumbs} />;
}
