// Plugin discovery: which plugin packages a host has, found from their manifests alone.

export * from './catalog.js';
export * from './entry.js';
export * from './manifest.js';
export * from './names.js';
export * from './scan.js';
