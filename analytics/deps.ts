import type { Warehouse } from '@strix/contracts';

/** What the analytics services read from: the warehouse port (chDB embedded, ClickHouse distributed). */
export interface AnalyticsDeps {
  warehouse: Warehouse;
}
