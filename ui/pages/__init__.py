"""The workflow pages of the main window: 导入数据, 数据核查, 评价方案, 评价结果, 输出, 审计记录."""
