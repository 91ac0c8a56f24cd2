import { createHash } from 'node:crypto';
import { UNDELIVERABLE_POSTCODE, type StepInput } from '#shared/contracts/orders';
import { ShipmentRejected } from '#shared/orders/errors';
import { findEvent, placedOf, recordEvents, requireOrder } from '#shared/orders/order-book';
import type { StepDeps } from '#shared/orders/step-deps';

/**
 * CreateShipment (saga step 3): book the parcel with the carrier quoted at checkout. The carrier here is a
 * sandbox like the payment provider: it accepts every address except postcode `000000`, which it refuses
 * (`ShipmentRejected`: the saga refunds the payment and returns the stock). The shipment id and tracking
 * number derive from the order id, so booking again books the same parcel.
 */
export async function createShipment(input: StepInput, deps: StepDeps): Promise<{ orderId: string; shipmentId: string }> {
  const order = await requireOrder(deps.table, input.orderId);
  const created = findEvent(order.log, 'ShipmentCreated');
  if (created) return { orderId: input.orderId, shipmentId: created.data.shipmentId };
  const failed = findEvent(order.log, 'ShipmentFailed');
  if (failed) throw new ShipmentRejected(failed.data.message);

  const placed = placedOf(order);
  const at = deps.clock.now();
  if (placed.address.postcode.replace(/\s/g, '') === UNDELIVERABLE_POSTCODE) {
    const message = `${placed.delivery.carrier} does not deliver to postcode ${placed.address.postcode}`;
    await recordEvents(deps.table, input.orderId, [{ type: 'ShipmentFailed', step: 'CreateShipment', key: 'shipment:failed', at, data: { code: 'address_rejected', message } }], order.log);
    throw new ShipmentRejected(message);
  }
  const shipmentId = `shp_${input.orderId.replace(/^ord_/, '')}`;
  const digits = BigInt(`0x${createHash('sha256').update(shipmentId).digest('hex').slice(0, 15)}`).toString().padStart(12, '0').slice(-12);
  await recordEvents(deps.table, input.orderId, [{ type: 'ShipmentCreated', step: 'CreateShipment', key: 'shipment:created', at, data: { shipmentId, carrier: placed.delivery.carrier, trackingNumber: `SB${digits}CN`, etaDays: placed.delivery.etaDays } }], order.log);
  return { orderId: input.orderId, shipmentId };
}
