// Every state of the chat page in the dark theme, at 360×740 and 1366×900 (see chat-screens.ts).
import { chatScreens } from './chat-screens.ts';

await chatScreens('dark');
