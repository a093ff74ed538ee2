// The version order lives in contracts (the warehouse picks an app's highest version with it too); issues keep importing it from here.
export { compareVersions, isNewerVersion } from '@strix/contracts';
