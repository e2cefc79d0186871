"""Work and messages (D10, 客户时间管理 and 营销过程管理): tasks, the calendar, notifications and
e-mail out, and the salesperson's daily log, weekly plan and monthly targets. Higher apps (service
desk, surveys, sales, campaigns, churn) raise notifications, send e-mail, create tasks and put
appointments in the calendar through this app's services and registries."""
