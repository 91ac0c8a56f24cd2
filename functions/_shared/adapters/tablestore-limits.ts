/**
 * TableStore's limits that both the suite's Table adapter (`table-rules.ts`, before it sends a request) and the local
 * TableStore emulator (`scripts/local/emulators/tablestore`, answering any client) enforce: one source, so the two
 * cannot drift apart (D149). A module of constants only: the emulator's thread loads nothing else of the adapter.
 */

/** Single-column conditions in one column condition or filter, the leaves of its AND/OR/NOT (filter and conditional-update docs). */
export const TABLESTORE_MAX_CONDITIONS = 10;
