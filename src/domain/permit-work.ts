/**
 * WORK_ZH: Chinese names of the permit work types (GB 30871-2022 特殊作业, plus 检维修), for
 * alert texts and the briefing.
 */
export const WORK_ZH: Record<string, string> = {
  hot_work: '动火作业',
  confined_space: '受限空间作业',
  blind_plate: '盲板抽堵作业',
  work_at_height: '高处作业',
  lifting: '吊装作业',
  temporary_electricity: '临时用电作业',
  earthwork: '动土作业',
  road_breaking: '断路作业',
  maintenance: '检维修作业',
};
