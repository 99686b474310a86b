/** The context and question every measured ask uses: small and fixed, so request sizes do not vary. */

export const benchContextId = 'warehouse-notes';

export const benchQuestion = 'How many crates are left in the warehouse after the second delivery?';

/** About 1.5 KB of notes: a realistic small context, well under any body limit. */
export const benchContextText = [
  'Warehouse log, week 12.',
  'Monday: the first delivery brought 6 crates of pears to dock 2.',
  'Tuesday: 3 crates were sent on to the Riverside shop.',
  'Wednesday: the second delivery brought 8 crates of pears to dock 4.',
  'Thursday: 2 crates were sent on to the market stall.',
  'Friday: an inventory check found the crates stacked in rows of three.',
  ...Array.from({ length: 12 }, (_, index) => `Note ${index + 1}: dock ${(index % 4) + 1} was swept and the forklift battery was charged to ${60 + index * 3}%.`),
].join('\n');
