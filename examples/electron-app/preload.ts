// The window's preload: forwards the daemon port to the page (contextBridge cannot carry ports).
import { exposeStorePort } from 'electron-store-daemon/preload';

exposeStorePort();
