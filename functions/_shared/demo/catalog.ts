/**
 * The demo catalogue the local cloud seeds on first start (and `npx s demo-seed invoke -e '{"op":"seed"}'` can load
 * into a demo stage, see docs/runbook.md).
 * Prices in CNY; warehouses and shipping rates by region. Images are served by the website
 * (`/assets/products/<id>.svg`) so the demo needs no network.
 */
export interface DemoProduct {
  productId: string;
  name: string;
  brand: string;
  category: string;
  summary: string;
  description: string;
  specs: Record<string, string>;
  tags: string[];
  listPrice: number;
  price: number;
  /** Regional prices that differ from the default. */
  regionalPrices?: Record<string, number>;
  weightKg: number;
  stock: Record<string, number>;
  soldLast30Days: number;
  promotions?: { promoId: string; title: string; kind: 'percent' | 'amount'; value: number; daysLeft: number }[];
  reviews: { author: string; rating: number; title: string; body: string; daysAgo: number }[];
}

export const WAREHOUSES: Record<string, string> = {
  'wh-hangzhou': 'cn-hangzhou',
  'wh-beijing': 'cn-beijing',
  'wh-shenzhen': 'cn-shenzhen',
  'wh-singapore': 'ap-southeast-1',
};

export const SHIPPING_RATES: Record<string, { carrier: string; base: number; perKg: number; freeOver: number; etaMin: number; etaMax: number }> = {
  'cn-hangzhou': { carrier: 'SF Express', base: 8, perKg: 2, freeOver: 99, etaMin: 1, etaMax: 2 },
  'cn-shanghai': { carrier: 'SF Express', base: 8, perKg: 2, freeOver: 99, etaMin: 1, etaMax: 2 },
  'cn-beijing': { carrier: 'JD Logistics', base: 10, perKg: 3, freeOver: 99, etaMin: 1, etaMax: 3 },
  'cn-shenzhen': { carrier: 'SF Express', base: 10, perKg: 3, freeOver: 99, etaMin: 1, etaMax: 3 },
  'cn-hongkong': { carrier: 'Cainiao Cross-border', base: 30, perKg: 8, freeOver: 299, etaMin: 3, etaMax: 5 },
  'ap-southeast-1': { carrier: 'Cainiao Global', base: 45, perKg: 12, freeOver: 499, etaMin: 5, etaMax: 9 },
};

export const DEMO_USERS = [
  { username: 'alice', password: 'alice-demo', role: 'user', displayName: 'Alice Wang' },
  { username: 'admin', password: 'admin-demo', role: 'admin', displayName: 'Store Admin' },
] as const;

export const DEMO_PRODUCTS: DemoProduct[] = [
  {
    productId: 'p-aurora-headphones',
    name: 'Aurora ANC Wireless Headphones',
    brand: 'Sonica',
    category: 'Audio',
    summary: 'Hybrid noise cancelling, 40-hour battery, multipoint Bluetooth 5.3.',
    description:
      'Aurora blocks the commute with hybrid active noise cancelling tuned by six microphones, then gets out of the way with a transparency mode that sounds like you took them off. Forty hours per charge, ten minutes of charging for five hours of play, and memory-foam cushions that stay comfortable through a long-haul flight.',
    specs: { Driver: '40 mm dynamic', Battery: '40 h (ANC on)', Bluetooth: '5.3, multipoint', Weight: '254 g', Codecs: 'SBC, AAC, LDAC' },
    tags: ['wireless', 'noise-cancelling', 'travel'],
    listPrice: 1299,
    price: 999,
    regionalPrices: { 'ap-southeast-1': 1099, 'cn-hongkong': 1049 },
    weightKg: 0.6,
    stock: { 'wh-hangzhou': 120, 'wh-beijing': 35, 'wh-shenzhen': 60, 'wh-singapore': 12 },
    soldLast30Days: 2841,
    promotions: [{ promoId: 'double12', title: 'Double 12: 100 off', kind: 'amount', value: 100, daysLeft: 17 }],
    reviews: [
      { author: 'Lin', rating: 5, title: 'Quiet subway at last', body: 'The ANC kills the metro rumble. Battery lasted a full week of commuting.', daysAgo: 3 },
      { author: 'Mei', rating: 4, title: 'Great sound, tight fit', body: 'Sound is warm and detailed. A bit tight for my glasses after two hours.', daysAgo: 9 },
      { author: 'Jun', rating: 5, title: 'Flight tested', body: 'Shanghai to Frankfurt and still 60% left. The case is compact too.', daysAgo: 21 },
      { author: 'Hao', rating: 3, title: 'App is clunky', body: 'Hardware is excellent, the companion app keeps asking me to log in.', daysAgo: 30 },
    ],
  },
  {
    productId: 'p-breeze-fan',
    name: 'Breeze Quiet Tower Fan',
    brand: 'Windel',
    category: 'Home',
    summary: 'DC motor tower fan, 12 speeds, 24 dB sleep mode, remote included.',
    description:
      'A slim tower fan with a brushless DC motor that sips 22 W on high and whispers at 24 dB on its sleep setting. Oscillates 90 degrees, has a 12-hour timer and dims its display at night.',
    specs: { Power: '22 W max', Noise: '24 dB (sleep)', Oscillation: '90°', Height: '105 cm', Timer: '1–12 h' },
    tags: ['summer', 'quiet', 'energy-saving'],
    listPrice: 499,
    price: 429,
    weightKg: 5.2,
    stock: { 'wh-hangzhou': 8, 'wh-beijing': 0, 'wh-shenzhen': 3 },
    soldLast30Days: 612,
    reviews: [
      { author: 'Qing', rating: 5, title: 'Sleeps like a baby', body: 'Sleep mode is genuinely silent. The remote has a magnet that sticks to the fan.', daysAgo: 5 },
      { author: 'Tao', rating: 4, title: 'Solid', body: 'Moves plenty of air for a 20 m² bedroom. Assembly took five minutes.', daysAgo: 14 },
    ],
  },
  {
    productId: 'p-cirrus-kettle',
    name: 'Cirrus Variable-Temperature Kettle',
    brand: 'Teaform',
    category: 'Kitchen',
    summary: 'Gooseneck kettle, 1 °C precision, keeps warm for 60 minutes.',
    description:
      'Brew green tea at 80 °C and pour-over coffee at 93 °C with a gooseneck spout that gives you a steady, controllable stream. The base remembers your last temperature and keeps the water warm for an hour.',
    specs: { Capacity: '0.9 L', Power: '1200 W', Range: '40–100 °C', Material: '304 stainless steel' },
    tags: ['tea', 'coffee', 'gift'],
    listPrice: 369,
    price: 329,
    weightKg: 1.4,
    stock: { 'wh-hangzhou': 210, 'wh-beijing': 90, 'wh-shenzhen': 75, 'wh-singapore': 40 },
    soldLast30Days: 1337,
    promotions: [{ promoId: 'tea-season', title: 'Tea season: 10% off', kind: 'percent', value: 10, daysLeft: 6 }],
    reviews: [
      { author: 'Yu', rating: 5, title: 'Perfect for Longjing', body: 'Set it to 80 °C and forget it. The pour is very precise.', daysAgo: 2 },
      { author: 'Fang', rating: 5, title: 'Beautiful', body: 'Looks great on the counter and heats fast.', daysAgo: 12 },
      { author: 'Kai', rating: 4, title: 'Handle gets warm', body: 'Works well; the handle gets warm after long boils.', daysAgo: 40 },
    ],
  },
  {
    productId: 'p-drift-backpack',
    name: 'Drift 28 L Commuter Backpack',
    brand: 'Northway',
    category: 'Outdoor',
    summary: 'Water-resistant, 16" laptop sleeve, luggage pass-through.',
    description:
      'Recycled 600D fabric with a TPU coating shrugs off rain, while a clamshell opening makes packing for an overnight trip easy. The padded sleeve fits a 16-inch laptop and hides a passport pocket against your back.',
    specs: { Volume: '28 L', Laptop: 'up to 16"', Material: 'recycled 600D polyester', Weight: '1.1 kg' },
    tags: ['commute', 'travel', 'water-resistant'],
    listPrice: 459,
    price: 459,
    weightKg: 1.3,
    stock: { 'wh-hangzhou': 0, 'wh-beijing': 0, 'wh-shenzhen': 0, 'wh-singapore': 0 },
    soldLast30Days: 954,
    reviews: [{ author: 'Rui', rating: 4, title: 'Survived a typhoon', body: 'Laptop stayed dry in a downpour. Wish the bottle pocket were deeper.', daysAgo: 18 }],
  },
  {
    productId: 'p-ember-lamp',
    name: 'Ember Smart Desk Lamp',
    brand: 'Lumin',
    category: 'Home',
    summary: 'Flicker-free, 2700–6500 K, auto-dims with ambient light.',
    description:
      'An asymmetric light bar throws even light across a 100 cm desk without glare on your screen. Ember reads the room with an ambient sensor and adjusts brightness and colour temperature through the day.',
    specs: { 'Colour temperature': '2700–6500 K', CRI: 'Ra ≥ 95', Power: '12 W', Control: 'touch, app, voice' },
    tags: ['smart-home', 'study', 'eye-care'],
    listPrice: 599,
    price: 499,
    weightKg: 2.1,
    stock: { 'wh-hangzhou': 44, 'wh-shenzhen': 19 },
    soldLast30Days: 402,
    reviews: [
      { author: 'Xin', rating: 5, title: 'No more eye strain', body: 'Evening study sessions are easier. Auto mode is surprisingly good.', daysAgo: 7 },
      { author: 'Bo', rating: 4, title: 'Bright and even', body: 'Lights the whole desk; the app pairing took a couple of tries.', daysAgo: 25 },
    ],
  },
  {
    productId: 'p-fjord-jacket',
    name: 'Fjord 3-in-1 Shell Jacket',
    brand: 'Northway',
    category: 'Outdoor',
    summary: 'Waterproof 20k shell with a zip-in fleece liner.',
    description:
      'A 20,000 mm waterproof, 15,000 g breathable shell with fully taped seams, plus a 200-weight fleece that zips in for winter or works on its own in autumn.',
    specs: { Waterproof: '20,000 mm', Breathability: '15,000 g/m²/24h', Liner: '200 g fleece', Fit: 'regular' },
    tags: ['winter', 'hiking', 'waterproof'],
    listPrice: 1599,
    price: 1199,
    weightKg: 1.6,
    stock: { 'wh-beijing': 65, 'wh-hangzhou': 20 },
    soldLast30Days: 388,
    promotions: [{ promoId: 'winter-ready', title: 'Winter ready: 15% off', kind: 'percent', value: 15, daysLeft: 30 }],
    reviews: [{ author: 'Lei', rating: 5, title: 'Harbin approved', body: 'Wore it at -18 °C with the liner and a sweater. Warm and windproof.', daysAgo: 11 }],
  },
  {
    productId: 'p-glide-mouse',
    name: 'Glide Ergonomic Vertical Mouse',
    brand: 'Keyflow',
    category: 'Computing',
    summary: '57° vertical grip, silent clicks, USB-C and Bluetooth.',
    description:
      'Glide keeps your forearm in a handshake position to reduce strain, with silent main buttons, a hyper-fast scroll wheel and three-device switching.',
    specs: { Angle: '57°', DPI: '400–4000', Battery: '70 days', Connection: 'Bluetooth + 2.4 GHz' },
    tags: ['ergonomic', 'office', 'wireless'],
    listPrice: 349,
    price: 299,
    weightKg: 0.3,
    stock: { 'wh-hangzhou': 300, 'wh-beijing': 150, 'wh-shenzhen': 220, 'wh-singapore': 80 },
    soldLast30Days: 3120,
    reviews: [
      { author: 'Ming', rating: 5, title: 'Wrist pain gone', body: 'Took three days to get used to, now I cannot go back.', daysAgo: 4 },
      { author: 'Jia', rating: 4, title: 'Too big for small hands', body: 'Comfortable but a bit large for me.', daysAgo: 16 },
    ],
  },
  {
    productId: 'p-harbor-mug',
    name: 'Harbor Self-Heating Mug',
    brand: 'Teaform',
    category: 'Kitchen',
    summary: 'Keeps coffee at 55 °C all morning on its wireless coaster.',
    description: 'A ceramic-coated mug and a Qi-style coaster that keep your drink at the temperature you set, and a sensor that sleeps when the mug is empty.',
    specs: { Capacity: '355 ml', Range: '50–62 °C', Coaster: 'USB-C powered' },
    tags: ['coffee', 'office', 'gift'],
    listPrice: 259,
    price: 219,
    weightKg: 0.7,
    stock: { 'wh-hangzhou': 3, 'wh-shenzhen': 2 },
    soldLast30Days: 205,
    reviews: [{ author: 'Ning', rating: 4, title: 'Warm coffee, happy me', body: 'No more microwave trips. The coaster is a little large.', daysAgo: 8 }],
  },
  {
    productId: 'p-isle-speaker',
    name: 'Isle Waterproof Bluetooth Speaker',
    brand: 'Sonica',
    category: 'Audio',
    summary: 'IP67, floats, 20 W stereo pairing, 18-hour battery.',
    description: 'Drop it in the pool and it floats face-up. Pair two for true stereo, or chain up to a hundred at a party.',
    specs: { Output: '20 W', Rating: 'IP67', Battery: '18 h', Weight: '540 g' },
    tags: ['outdoor', 'waterproof', 'party'],
    listPrice: 599,
    price: 549,
    weightKg: 0.8,
    stock: { 'wh-hangzhou': 75, 'wh-beijing': 40, 'wh-shenzhen': 51, 'wh-singapore': 33 },
    soldLast30Days: 1499,
    reviews: [
      { author: 'Wei', rating: 5, title: 'Beach hero', body: 'Sandy, wet and still loud. Bass is impressive for the size.', daysAgo: 6 },
      { author: 'Ying', rating: 5, title: 'Stereo pairing is easy', body: 'Bought two, paired in seconds.', daysAgo: 19 },
    ],
  },
  {
    productId: 'p-juniper-planter',
    name: 'Juniper Self-Watering Planter Set',
    brand: 'Greenleaf',
    category: 'Home',
    summary: 'Three ceramic pots with 2-week reservoirs and water gauges.',
    description: 'Wicking reservoirs keep herbs and houseplants watered for up to two weeks while you travel, with a float gauge that tells you when to refill.',
    specs: { Sizes: '12 / 15 / 18 cm', Reservoir: 'up to 14 days', Material: 'glazed ceramic' },
    tags: ['plants', 'gift', 'balcony'],
    listPrice: 189,
    price: 159,
    weightKg: 3.4,
    stock: { 'wh-hangzhou': 58, 'wh-beijing': 22 },
    soldLast30Days: 310,
    reviews: [{ author: 'Lan', rating: 5, title: 'Basil is thriving', body: 'Went away for ten days and the basil did not notice.', daysAgo: 10 }],
  },
  {
    productId: 'p-kite-drone',
    name: 'Kite Mini 4K Folding Drone',
    brand: 'Skyward',
    category: 'Cameras',
    summary: 'Under 249 g, 4K/30 fps gimbal camera, 31-minute flights.',
    description: 'A folding drone that fits in a jacket pocket, with a three-axis gimbal, obstacle sensing and 10 km video transmission.',
    specs: { Weight: '249 g', Video: '4K/30 fps HDR', Flight: '31 min', Range: '10 km' },
    tags: ['camera', 'travel', 'outdoor'],
    listPrice: 3299,
    price: 2999,
    regionalPrices: { 'ap-southeast-1': 3199 },
    weightKg: 0.9,
    stock: { 'wh-shenzhen': 16, 'wh-hangzhou': 5 },
    soldLast30Days: 221,
    promotions: [{ promoId: 'double12', title: 'Double 12: 300 off', kind: 'amount', value: 300, daysLeft: 17 }],
    reviews: [
      { author: 'Peng', rating: 5, title: 'Stunning footage', body: 'West Lake at sunrise looked incredible. Easy for a beginner.', daysAgo: 1 },
      { author: 'Dan', rating: 4, title: 'Buy the extra batteries', body: 'Flight time is real, but you will want two more packs.', daysAgo: 22 },
    ],
  },
  {
    productId: 'p-lotus-yoga-mat',
    name: 'Lotus 6 mm Natural Rubber Yoga Mat',
    brand: 'Stillwater',
    category: 'Sports',
    summary: 'Non-slip natural rubber with alignment lines, carry strap included.',
    description: 'Open-cell natural rubber grips even in hot yoga, a PU top layer wipes clean, and laser-etched lines help your alignment.',
    specs: { Size: '183 × 68 cm', Thickness: '6 mm', Material: 'natural rubber + PU' },
    tags: ['yoga', 'fitness', 'eco'],
    listPrice: 399,
    price: 339,
    weightKg: 2.6,
    stock: { 'wh-hangzhou': 90, 'wh-beijing': 70, 'wh-shenzhen': 40, 'wh-singapore': 25 },
    soldLast30Days: 780,
    reviews: [{ author: 'Shan', rating: 5, title: 'No slipping', body: 'Grippy even when I sweat a lot. It smells of rubber for a few days.', daysAgo: 13 }],
  },
];
