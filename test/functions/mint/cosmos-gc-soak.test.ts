/** A small run of the GC soak (test/bench/cosmos-gc.soak.ts; `npm run soak:gc` runs 100,000 callers). */
import { runGcSoak } from "../../bench/cosmos-gc.soak";

jest.setTimeout(120_000);

it("leaves exactly the active set after simulated days of distinct callers", async () => {
  const r = await runGcSoak({ callers: 2000, hours: 48, regulars: 10, maxUsersPerRun: 200, expiredForSeconds: 3600 });
  expect({ left: r.left, exact: r.exact }).toEqual({ left: r.expectedActive, exact: true });
  expect(r.deleted).toBe(r.callers - r.expectedActive);
  expect(r.expectedActive).toBeLessThan(400); // the active set is small: the test is not vacuous
  // Bounded: never more than about the active window's callers plus what one lap leaves behind.
  expect(r.peakUsers).toBeLessThan((2000 / 48) * 12 + 10);
});
