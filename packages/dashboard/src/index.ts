// @archy/dashboard: the status page's assets, built at build time and served from memory.
export { DASHBOARD_ASSET_PATHS, dashboardAsset, type DashboardAsset } from "./assets.js";
