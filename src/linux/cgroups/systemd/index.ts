// The systemd cgroup driver (--systemd-cgroup): scope.ts places the container through systemd's
// D-Bus API; unit.ts names the unit; properties.ts and devices.ts map linux.resources;
// update.ts gives systemd the `update` verb's limits; annotations.ts and gvariant.ts read
// org.systemd.property.* annotations; dbus.ts, message.ts and wire.ts are the D-Bus client.
export { defaultBusAddress, setUnitProperties, startSystemdScope, stopSystemdScope, systemdRunning, type SystemdOptions, type SystemdScope } from "./scope";
export { updateSystemdUnit } from "./update";
export { annotationProperties } from "./annotations";
export { parseSystemdPath, expandSlice, predictSystemdDirs, type SystemdUnit } from "./unit";
export type { BusSys } from "./dbus";
export type { Property } from "./properties";
