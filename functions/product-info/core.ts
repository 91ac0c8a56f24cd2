import { ProductInfo, type ProductCard, type ProductList } from '#shared/contracts/products';
import { decodeRow, encodeRow } from '#shared/contracts/row-codec';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import { INF_MAX, type Table } from '#shared/ports/table';

/** product-info: the facts of a product (name, brand, description, images, specs). Owns `product_info`. */
export interface InfoDeps {
  table: Table;
}

const JSON_COLUMNS = ['images', 'specs', 'tags'] as const;
const T = TABLES.productInfo.name;

export async function getProductInfo(productId: string, deps: InfoDeps): Promise<ProductInfo> {
  const row = await deps.table.getRow(T, { productId });
  if (!row) throw new NotFoundError(`product ${productId} does not exist`);
  return ProductInfo.parse({ productId, ...decodeRow(row.attributes, JSON_COLUMNS) });
}

/** Products in id order, a page at a time; `cursor` is the last id of the previous page. */
export async function listProducts(limit: number, cursor: string | undefined, deps: InfoDeps): Promise<ProductList> {
  // The next key after `cursor` in TableStore's byte order is `cursor + "\0"`.
  const start = cursor ? `${cursor}\u0000` : '';
  const page = await deps.table.getRange(T, {
    start: { productId: start },
    end: { productId: INF_MAX },
    limit: limit + 1,
    columns: ['name', 'brand', 'category', 'summary', 'images'],
  });
  const items: ProductCard[] = page.rows.slice(0, limit).map((row) => {
    const value = decodeRow(row.attributes, JSON_COLUMNS) as { name: string; brand: string; category: string; summary: string; images: { url: string }[] };
    return { productId: String(row.primaryKey.productId), name: value.name, brand: value.brand, category: value.category, summary: value.summary, image: value.images[0]?.url ?? '' };
  });
  const more = page.rows.length > limit;
  return { items, ...(more && items.length > 0 ? { nextCursor: items[items.length - 1]!.productId } : {}) };
}

export async function putProductInfo(info: ProductInfo, deps: InfoDeps): Promise<void> {
  const { productId, ...rest } = ProductInfo.parse(info);
  await deps.table.putRow(T, { productId }, encodeRow(rest, JSON_COLUMNS));
}
