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

## The About sheet.
about-title = 需求矩阵
about-what-label = 说明
about-what = 反恐怖主义委员会按优先次序排列的需求矩阵：各国的反恐援助需求，以及其相对优先级、状态和提供援助的组织。
about-cycle = 周期
about-recipient = 收件人
about-reply-by = 回复截止
about-how-label = 如何回复
about-how = 请编辑Matrix工作表，并回复邮件附上本文件（或发送至{ $address }）。在需求所在行修改该需求；在空行添加新需求，“{ header-need-id }”留空；如需撤回某项需求，请将其“{ header-status }”设为“{ status-withdrawn }”（删除或筛选行不会改变任何内容）。请保留文件名和格式（xlsx、ods和csv均可读取）。
about-reference = 参考编号
about-as-of = 截至
about-no-changes = 本月无变化
about-no-changes-title = 无变化？
about-no-changes-help = 如果本月矩阵中与您有关的内容均无需更改，请选择“{ answer-yes }”，然后回复并附上本文件。

## The Lists sheet's headers.
lists-state = 国家代码
lists-state-name = 国家名称
lists-area = 领域代码
lists-area-name = 领域名称

## Programmes 工作表的列标题。
programme-header-id = 方案编号
programme-header-provider = 提供方
programme-header-title = 名称
programme-header-kind = 类型
programme-header-areas = 领域
programme-header-eligible = 受益资格
programme-header-languages = 语言
programme-header-contact = 联系方式
programme-header-link = 链接
programme-header-status = 状态
programme-header-updated = { header-updated }

## “Needs you could meet”工作表的列标题。
offer-header-id = { header-need-id }
offer-header-state = { header-state }
offer-header-area = { header-area }
offer-header-description = { header-description }
offer-header-priority = { header-priority }
offer-header-status = { header-status }
offer-header-provider = { header-provider }
offer-header-notes = { header-notes }
offer-header-programmes = 您的方案
offer-header-updated = { header-updated }

## 下拉列表单元格的提示。
validation-list = 请从下拉列表中选择一个值（见 Lists 工作表）。
validation-choose = 请从列表中选择：{ $choices }
