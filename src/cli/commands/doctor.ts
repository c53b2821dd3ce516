// `octet doctor`: which WebGPU adapter Node finds and what Octet can use on it.
import { describeAdapter, formatCapabilityReport, type CapabilityReport } from '../../gpu/capabilities.ts';
import { findNodeAdapter, type NodeBackend } from '../../gpu/node-gpu.ts';

export interface DoctorOptions {
  backend?: NodeBackend;
}

/** The adapter's capability report; throws NoWebGPUError (with what to install) when none is found. */
export async function doctor(options: DoctorOptions = {}): Promise<CapabilityReport> {
  const { gpu, adapter, route } = await findNodeAdapter(options.backend ?? 'auto');
  return describeAdapter(adapter, gpu.wgslLanguageFeatures, route);
}

export function formatDoctor(report: CapabilityReport): string {
  const list = (items: string[]) => (items.length ? items.join(', ') : '(none)');
  return [
    formatCapabilityReport(report),
    `features     ${list(report.features)}`,
    `wgsl         ${list(report.wgslLanguageFeatures)}`,
  ].join('\n');
}
