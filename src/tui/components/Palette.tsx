/**
 * The `:` line's completions above it, drawn by ink-select-input (a short menu: at most
 * PALETTE_ROWS items show, the window follows the pick). The keyboard stays with the `:` line
 * (Tab, ↑/↓ pick, typing refines), so the menu only draws: it is remounted at each pick.
 */
import React, { useContext } from 'react';
import { Box } from 'ink';
import SelectInput from 'ink-select-input';
import { plural } from '../model/format.js';
import { useTheme } from '../theme.js';
import { Line, LineWidthContext } from './Line.js';
import { MARKER } from './ListView.js';

/** Completions shown at once. */
export const PALETTE_ROWS = 6;

/** Rows the palette takes for `count` completions (0 when there is nothing to pick from). */
export function paletteHeight(count: number): number {
  return count > 1 ? Math.min(count, PALETTE_ROWS) + 1 : 0;
}

export interface PaletteProps {
  readonly choices: readonly string[];
  /** The pick, -1 before the first. */
  readonly choice: number;
  /** Rows it may take (paletteHeight, or less on a short terminal). */
  readonly height: number;
}

export function Palette({ choices, choice, height }: PaletteProps): React.ReactElement {
  const theme = useTheme();
  const room = useContext(LineWidthContext) - MARKER.length;
  const items = choices.map((c) => ({ label: c, value: c }));
  const Indicator = ({ isSelected }: { isSelected?: boolean }) => <Line text={isSelected && choice >= 0 ? MARKER : '  '} />;
  const Item = ({ label, isSelected }: { label: string; isSelected?: boolean }) => (
    <Line text={label} width={room} style={isSelected && choice >= 0 ? theme.selected : undefined} />
  );
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Line text={`${plural(choices.length, 'completion')}${choice >= 0 ? ` · ${choice + 1}/${choices.length}` : ''} · Tab or ↑/↓ picks · Enter runs · typing narrows`} style={theme.dim} />
      <SelectInput key={choice} items={items} isFocused={false} initialIndex={Math.max(0, choice)} limit={Math.max(1, height - 1)} indicatorComponent={Indicator} itemComponent={Item} />
    </Box>
  );
}
