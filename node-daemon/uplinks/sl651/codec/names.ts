import { STATION_TYPE } from './model.js';

/** 功能码 names after SL 651-2014, for logs and the centre simulator. */
const FUNCTION_NAMES: Readonly<Record<number, string>> = {
  0x2f: '链路维持报',
  0x30: '测试报',
  0x31: '均匀时段水文信息报',
  0x32: '遥测站定时报',
  0x33: '遥测站加报报',
  0x34: '遥测站小时报',
  0x35: '遥测站人工置数报',
  0x36: '遥测站图片报或中心站查询遥测站图片采集信息',
  0x37: '中心站查询遥测站实时数据',
  0x38: '中心站查询遥测站时段数据',
  0x39: '中心站查询遥测站人工置数',
  0x3a: '中心站查询遥测站指定要素数据',
  0x40: '中心站修改遥测站基本配置表',
  0x41: '中心站读取遥测站基本配置表',
  0x42: '中心站修改遥测站运行参数配置表',
  0x43: '中心站读取遥测站运行参数配置表',
  0x44: '查询水泵电机实时工作数据',
  0x45: '查询遥测终端软件版本',
  0x46: '查询遥测站状态和报警信息',
  0x47: '初始化固态存储数据',
  0x48: '恢复遥测终端出厂设置',
  0x49: '修改密码',
  0x4a: '设置遥测站时钟',
  0x4b: '设置遥测终端 IC 卡状态',
  0x4c: '控制水泵开关命令',
  0x4d: '控制阀门开关命令',
  0x4e: '控制闸门开关命令',
  0x4f: '水量定值控制命令',
  0x50: '中心站查询遥测站事件记录',
  0x51: '中心站查询遥测站时钟',
};

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

export function functionName(fn: number): string {
  const name = FUNCTION_NAMES[fn];
  if (name !== undefined) return name;
  return fn >= 0xe0 && fn <= 0xef ? `用户自定义扩展 (${hex2(fn)})` : `未知功能码 (${hex2(fn)})`;
}

const STATION_TYPE_NAMES: Readonly<Record<number, string>> = {
  [STATION_TYPE.rain]: '降水',
  [STATION_TYPE.river]: '河道',
  [STATION_TYPE.reservoir]: '水库（湖泊）',
  [STATION_TYPE.sluice]: '闸坝',
  [STATION_TYPE.pump]: '泵站',
  [STATION_TYPE.tide]: '潮汐',
  [STATION_TYPE.soil]: '墒情',
  [STATION_TYPE.groundwater]: '地下水',
  [STATION_TYPE.quality]: '水质',
  [STATION_TYPE.intake]: '取水口',
  [STATION_TYPE.outlet]: '排水口',
};

export function stationTypeName(code: number): string {
  return STATION_TYPE_NAMES[code] ?? `未知测站分类 (${hex2(code)})`;
}
