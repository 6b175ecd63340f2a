# 工作簿用语（中文）。

## The Matrix sheet's headers.
header-need-id = 需求编号
header-state = 国家
header-area = 领域
header-description = 需求
header-priority = 优先级
header-status = 状态
header-provider = 援助提供方
header-notes = 备注
header-updated = 最后更新

## Priorities.
priority-high = 高
priority-medium = 中
priority-low = 低

## Statuses of a need.
status-open = 未满足
status-assistance-offered = 已提供援助
status-in-progress = 进行中
status-met = 已满足
status-withdrawn = 已撤回

## The default areas of assistance (the CTC's headings), by code.
area-LEG = 立法起草
area-FIN = 金融法律与实践
area-CUS = 海关法律与实践
area-IMM = 移民法律与实践
area-EXT = 引渡和司法协助
area-POL = 警务和执法
area-ARM = 非法武器贩运
area-OTH = 其他

## Answers.
answer-yes = 是
answer-no = 否
