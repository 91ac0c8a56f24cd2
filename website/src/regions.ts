import type { Region } from './api';

/** Delivery regions a shopper can pick; the BFF prices and ships per region. */
export const REGION_NAMES: Record<Region, string> = {
  'cn-hangzhou': 'Hangzhou',
  'cn-shanghai': 'Shanghai',
  'cn-beijing': 'Beijing',
  'cn-shenzhen': 'Shenzhen',
  'cn-hongkong': 'Hong Kong',
  'ap-southeast-1': 'Singapore',
};

const REGION_KEY = 'fcsuite.region';

export function currentRegion(): Region {
  const saved = localStorage.getItem(REGION_KEY) as Region | null;
  return saved && saved in REGION_NAMES ? saved : 'cn-hangzhou';
}

export function saveRegion(region: string): void {
  if (region in REGION_NAMES) localStorage.setItem(REGION_KEY, region);
}
