// Adds N users to the database named by DATABASE_URL (default sqlite:data/app.db), for demos
// and benchmarks: `npm run seed:users -- 10000 [prefix]`. Passwords are all "password123".
import { openStorage } from "../server/storage/open-storage.js";
import { seedUsers } from "../server/users/seed-users.js";

const count = Number(process.argv[2]);
const prefix = process.argv[3] ?? `seed${Date.now().toString(36)}-`;
if (!Number.isInteger(count) || count <= 0) {
  console.error("usage: npm run seed:users -- COUNT [USERNAME_PREFIX]");
  process.exit(2);
}
const storage = await openStorage(process.env.DATABASE_URL || undefined);
const started = performance.now();
await seedUsers(storage.users, { count, prefix });
await storage.close();
console.log(`added ${count} users (${prefix}1 ... ${prefix}${count}, password "password123") in ${Math.round(performance.now() - started)} ms`);
