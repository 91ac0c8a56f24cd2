import type { AttrValue, PrimaryKey } from '../ports/table';

/**
 * One change captured from a table with Stream on, in the shape of a TableStore Stream record as FC's
 * tablestore trigger delivers it (`Sync-v1`): https://www.alibabacloud.com/help/doc-detail/169673.htm
 */
export interface TableChangeColumn {
  type: 'Put' | 'DeleteOneVersion' | 'DeleteAllVersions';
  name: string;
  value?: AttrValue;
  /** Write time of the cell, ms. */
  timestamp: number;
}

export interface TableChangeRecord {
  /** Position in the local change log (not part of TableStore's record). */
  seq: number;
  table: string;
  type: 'PutRow' | 'UpdateRow' | 'DeleteRow';
  primaryKey: PrimaryKey;
  columns: TableChangeColumn[];
  /** Time of the change, ms. */
  timestamp: number;
}
