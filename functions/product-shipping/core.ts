import type { Shipping } from '#shared/contracts/products';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import type { Table } from '#shared/ports/table';

/**
 * product-shipping: fee and delivery estimate for a product to a region. Owns `product_shipping`, a
 * single table with two row kinds: `rate#<region>` (carrier, base fee, per-kg fee, free-shipping threshold,
 * ETA) and `parcel#<productId>` (shipping weight).
 */
export interface ShippingDeps {
  table: Table;
}

export interface Rate {
  carrier: string;
  base: number;
  perKg: number;
  freeOver: number;
  etaMin: number;
  etaMax: number;
}

const T = TABLES.productShipping.name;

/** Fee = base + per-kg × weight rounded up to the next whole kilogram, in CNY. */
export function shippingFee(rate: Rate, weightKg: number): number {
  return rate.base + rate.perKg * Math.max(1, Math.ceil(weightKg));
}

export async function getShipping(productId: string, region: string, deps: ShippingDeps): Promise<Shipping> {
  const [rateRow, parcelRow] = await deps.table.batchGetRow(T, [{ key: `rate#${region}` }, { key: `parcel#${productId}` }]);
  if (!rateRow) throw new NotFoundError(`no shipping to ${region}`);
  if (!parcelRow) throw new NotFoundError(`no parcel profile for ${productId}`);
  const rate = rateRow.attributes as unknown as Rate;
  return {
    productId,
    region,
    carrier: rate.carrier,
    currency: 'CNY',
    fee: shippingFee(rate, Number(parcelRow.attributes.weightKg)),
    freeOver: rate.freeOver,
    etaDays: { min: rate.etaMin, max: rate.etaMax },
  };
}

export async function putRate(region: string, rate: Rate, deps: ShippingDeps): Promise<void> {
  await deps.table.putRow(T, { key: `rate#${region}` }, { ...rate });
}

export async function putParcel(productId: string, weightKg: number, deps: ShippingDeps): Promise<void> {
  await deps.table.putRow(T, { key: `parcel#${productId}` }, { weightKg });
}
