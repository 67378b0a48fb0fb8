import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The built dashboard lives inside the api's Python package, so `make run` serves it with
// no Node.js on the machine; the build is checked for staleness like the gRPC stubs.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../src/tradewind_api/dashboard_dist",
    emptyOutDir: true,
    assetsDir: "assets",
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
    setupFiles: ["src/test/layout.ts", "src/test/fakeApi.ts"],
  },
});
