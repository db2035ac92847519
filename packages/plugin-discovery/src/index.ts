// Plugin discovery: which plugin packages a host has, found from their manifests alone.
export * from './names.js';
export * from './manifest.js';
export * from './scan.js';
export * from './entry.js';
export * from './catalog.js';
