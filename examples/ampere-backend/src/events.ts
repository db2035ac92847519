import type { EventAttrSpec } from '@cspmu/arm-cspmu';

const NAMES: [number, string][] = [
  [0x00, 'cycle_count'], [0x01, 'act_sent'], [0x02, 'pre_sent'], [0x03, 'rd_sent'], [0x04, 'rda_sent'],
  [0x05, 'wr_sent'], [0x06, 'wra_sent'], [0x07, 'pd_entry_vld'], [0x08, 'sref_entry_vld'], [0x09, 'prea_sent'],
  [0x0a, 'pre_sb_sent'], [0x0b, 'ref_sent'], [0x0c, 'rfm_sent'], [0x0d, 'ref_sb_sent'], [0x0e, 'rfm_sb_sent'],
  [0x0f, 'rd_rda_sent'], [0x10, 'wr_wra_sent'], [0x11, 'raw_hazard'], [0x12, 'war_hazard'], [0x13, 'waw_hazard'],
  [0x14, 'rar_hazard'], [0x15, 'raw_war_waw_hazard'], [0x16, 'hprd_lprd_wr_req_vld'], [0x17, 'lprd_req_vld'],
  [0x18, 'hprd_req_vld'], [0x19, 'hprd_lprd_req_vld'], [0x1a, 'prefetch_tgt'], [0x1b, 'wr_req_vld'],
  [0x1c, 'partial_wr_req_vld'], [0x1d, 'rd_retry'], [0x1e, 'wr_retry'], [0x1f, 'retry_gnt'], [0x20, 'rank_change'],
  [0x21, 'dir_change'], [0x22, 'rank_dir_change'], [0x23, 'rank_active'], [0x24, 'rank_idle'], [0x25, 'rank_pd'],
  [0x26, 'rank_sref'], [0x27, 'queue_fill_gt_thresh'], [0x28, 'queue_rds_gt_thresh'], [0x29, 'queue_wrs_gt_thresh'],
  [0x2a, 'phy_updt_complt'], [0x2b, 'tz_fail'], [0x2c, 'dram_errc'], [0x2d, 'dram_errd'], [0x32, 'read_data_return'],
  [0x33, 'chi_wr_data_delta'], [0x34, 'zq_start'], [0x35, 'zq_latch'], [0x36, 'wr_fifo_full'], [0x37, 'info_fifo_full'],
  [0x38, 'cmd_fifo_full'], [0x39, 'dfi_nop'], [0x3a, 'dfi_cmd'], [0x3b, 'rd_run_len'], [0x3c, 'wr_run_len'],
];

/** The AmpereOne MCU event list, plus cycles. */
export const MCU_EVENTS: readonly EventAttrSpec[] = [
  ...NAMES.map(([code, name]): EventAttrSpec => ({ name, event: BigInt(code) })),
  { name: 'cycles', event: 0x100000000n },
];
