// The in-memory Hub held to the Hub contract (test/helpers/hub-contract.ts): pairing, relaying,
// ending, reporting, "never paired again", draining, and the seeded fuzz run of the invariants.
import { describeHub } from '../helpers/hub-contract.ts';
import { memoryHub } from '../helpers/hub-harness.ts';

describeHub('memory Hub', memoryHub).run();
