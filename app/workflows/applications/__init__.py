"""学时申请: members' 投入式 / 产出式 / 豁免 applications and the institute's confirmation
(app/workflows/applications/rules.py)."""
