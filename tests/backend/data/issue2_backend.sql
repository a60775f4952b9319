PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE sellers (
	id VARCHAR(32) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	email VARCHAR(254) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (email)
);
INSERT INTO sellers VALUES('S1001','Ava''s Gadget Store','ava@example.com');
INSERT INTO sellers VALUES('S1002','Bruno Home & Living','bruno@example.com');
CREATE TABLE orders (
	id INTEGER NOT NULL, 
	number VARCHAR(24) NOT NULL, 
	seller_id VARCHAR(32) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	amount_cents INTEGER NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	created_at DATETIME NOT NULL, 
	paid_at DATETIME, 
	dispatched_at DATETIME, 
	carrier VARCHAR(60), 
	tracking_number VARCHAR(60), 
	PRIMARY KEY (id), 
	CONSTRAINT order_amount_not_negative CHECK (amount_cents >= 0), 
	CONSTRAINT order_paid_has_paid_at CHECK (status = 'unpaid' OR paid_at IS NOT NULL), 
	CONSTRAINT order_dispatched_has_dispatched_at CHECK (status NOT IN ('dispatched', 'completed') OR dispatched_at IS NOT NULL), 
	UNIQUE (number), 
	FOREIGN KEY(seller_id) REFERENCES sellers (id), 
	CONSTRAINT orderstatus CHECK (status IN ('unpaid', 'paid', 'dispatched', 'completed', 'closed'))
);
INSERT INTO orders VALUES(1,'CJ2410180012345','S1001','completed',4250,'USD','2024-10-01 10:00:00.000000','2024-10-01 11:00:00.000000','2024-10-01 16:00:00.000000','YunExpress','YT2410180012345');
INSERT INTO orders VALUES(2,'CJ2410180012346','S1001','completed',1890,'USD','2024-10-02 10:00:00.000000','2024-10-02 11:00:00.000000','2024-10-02 16:00:00.000000','YunExpress','YT2410180012346');
INSERT INTO orders VALUES(3,'CJ2410180012347','S1001','completed',6500,'USD','2024-10-03 10:00:00.000000','2024-10-03 11:00:00.000000','2024-10-03 16:00:00.000000','YunExpress','YT2410180012347');
INSERT INTO orders VALUES(4,'CJ2410180012348','S1001','paid',2730,'USD','2024-10-20 10:00:00.000000','2024-10-20 11:00:00.000000',NULL,NULL,NULL);
INSERT INTO orders VALUES(5,'CJ2410180012349','S1001','dispatched',3300,'USD','2024-10-05 10:00:00.000000','2024-10-05 11:00:00.000000','2024-10-05 16:00:00.000000','YunExpress','YT2410180012349');
INSERT INTO orders VALUES(6,'CJ2410180012350','S1001','completed',2175,'USD','2024-10-06 10:00:00.000000','2024-10-06 11:00:00.000000','2024-10-06 16:00:00.000000','YunExpress','YT2410180012350');
INSERT INTO orders VALUES(7,'CJ2410180012351','S1001','completed',1999,'USD','2024-10-07 10:00:00.000000','2024-10-07 11:00:00.000000','2024-10-07 16:00:00.000000','YunExpress','YT2410180012351');
INSERT INTO orders VALUES(8,'CJ2410180012352','S1001','dispatched',5420,'USD','2024-10-08 10:00:00.000000','2024-10-08 11:00:00.000000','2024-10-08 16:00:00.000000','YunExpress','YT2410180012352');
INSERT INTO orders VALUES(9,'CJ2410180012353','S1001','unpaid',1200,'USD','2024-10-24 10:00:00.000000',NULL,NULL,NULL,NULL);
INSERT INTO orders VALUES(10,'CJ2410180012354','S1001','closed',1540,'USD','2024-10-09 10:00:00.000000','2024-10-09 11:00:00.000000',NULL,NULL,NULL);
INSERT INTO orders VALUES(11,'CJ2410180012355','S1001','dispatched',3860,'USD','2024-10-19 10:00:00.000000','2024-10-19 11:00:00.000000','2024-10-19 16:00:00.000000','YunExpress','YT2410180012355');
INSERT INTO orders VALUES(12,'CJ2410190020001','S1002','completed',8800,'USD','2024-10-04 10:00:00.000000','2024-10-04 11:00:00.000000','2024-10-04 16:00:00.000000','YunExpress','YT2410190020001');
INSERT INTO orders VALUES(13,'CJ2410190020002','S1002','paid',2310,'USD','2024-10-22 10:00:00.000000','2024-10-22 11:00:00.000000',NULL,NULL,NULL);
CREATE TABLE disputes (
	id INTEGER NOT NULL, 
	number VARCHAR(24) NOT NULL, 
	order_id INTEGER NOT NULL, 
	expected_result VARCHAR(16) NOT NULL, 
	refund_type VARCHAR(16), 
	reason VARCHAR(200) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	opened_at DATETIME NOT NULL, 
	resolved_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT dispute_refund_type_iff_refund CHECK ((expected_result = 'refund') = (refund_type IS NOT NULL)), 
	CONSTRAINT dispute_resolved_at_iff_not_open CHECK ((status = 'open') = (resolved_at IS NULL)), 
	UNIQUE (number), 
	FOREIGN KEY(order_id) REFERENCES orders (id), 
	CONSTRAINT expectedresult CHECK (expected_result IN ('refund', 'resend')), 
	CONSTRAINT refundmethod CHECK (refund_type IN ('balance', 'original')), 
	CONSTRAINT disputestatus CHECK (status IN ('open', 'refunded', 'resent', 'rejected', 'cancelled'))
);
INSERT INTO disputes VALUES(1,'SH2410200045',1,'refund','balance','Damaged product','refunded','2024-10-12 10:00:00.000000','2024-10-14 10:00:00.000000');
INSERT INTO disputes VALUES(2,'SH2410200046',2,'refund','balance','Wrong product','refunded','2024-10-13 10:00:00.000000','2024-10-16 10:00:00.000000');
INSERT INTO disputes VALUES(3,'SH2410200047',3,'refund','original','Lost package','refunded','2024-10-14 10:00:00.000000','2024-10-17 10:00:00.000000');
INSERT INTO disputes VALUES(4,'SH2410200048',4,'refund','original','Buyer cancelled before dispatch','refunded','2024-10-21 10:00:00.000000','2024-10-22 10:00:00.000000');
INSERT INTO disputes VALUES(5,'SH2410200049',5,'refund','balance','Delayed order','open','2024-10-23 10:00:00.000000',NULL);
INSERT INTO disputes VALUES(6,'SH2410200050',6,'resend',NULL,'Missing product','resent','2024-10-15 10:00:00.000000','2024-10-18 10:00:00.000000');
INSERT INTO disputes VALUES(7,'SH2410200051',7,'refund','balance','Buyer changed mind','rejected','2024-10-16 10:00:00.000000','2024-10-19 10:00:00.000000');
INSERT INTO disputes VALUES(8,'SH2410200052',8,'refund','original','Delayed order','cancelled','2024-10-17 10:00:00.000000','2024-10-18 10:00:00.000000');
INSERT INTO disputes VALUES(9,'SH2410210001',12,'refund','balance','Damaged product','refunded','2024-10-12 10:00:00.000000','2024-10-13 10:00:00.000000');
CREATE TABLE refunds (
	id INTEGER NOT NULL, 
	dispute_id INTEGER NOT NULL, 
	amount_cents INTEGER NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	method VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	approved_at DATETIME NOT NULL, 
	completed_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT refund_amount_positive CHECK (amount_cents > 0), 
	CONSTRAINT refund_completed_at_iff_done CHECK ((status = 'done') = (completed_at IS NOT NULL)), 
	CONSTRAINT one_refund_per_dispute UNIQUE (dispute_id), 
	FOREIGN KEY(dispute_id) REFERENCES disputes (id), 
	CONSTRAINT refundmethod CHECK (method IN ('balance', 'original')), 
	CONSTRAINT refundstatus CHECK (status IN ('pending', 'done'))
);
INSERT INTO refunds VALUES(1,1,4250,'USD','balance','done','2024-10-14 10:00:00.000000','2024-10-15 10:00:00.000000');
INSERT INTO refunds VALUES(2,2,1890,'USD','balance','pending','2024-10-16 10:00:00.000000',NULL);
INSERT INTO refunds VALUES(3,3,6500,'USD','original','done','2024-10-17 10:00:00.000000','2024-10-19 10:00:00.000000');
INSERT INTO refunds VALUES(4,4,2730,'USD','original','pending','2024-10-22 10:00:00.000000',NULL);
INSERT INTO refunds VALUES(5,9,8800,'USD','balance','done','2024-10-13 10:00:00.000000','2024-10-14 10:00:00.000000');
CREATE TABLE wallet_entries (
	id INTEGER NOT NULL, 
	seller_id VARCHAR(32) NOT NULL, 
	refund_id INTEGER, 
	amount_cents INTEGER NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	description VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT one_wallet_credit_per_refund UNIQUE (refund_id), 
	FOREIGN KEY(seller_id) REFERENCES sellers (id), 
	FOREIGN KEY(refund_id) REFERENCES refunds (id)
);
INSERT INTO wallet_entries VALUES(1,'S1001',1,4250,'USD','Refund for dispute SH2410200045','2024-10-15 10:00:00.000000');
INSERT INTO wallet_entries VALUES(2,'S1002',5,8800,'USD','Refund for dispute SH2410210001','2024-10-14 10:00:00.000000');
CREATE INDEX ix_orders_seller_id ON orders (seller_id);
CREATE INDEX ix_disputes_order_id ON disputes (order_id);
CREATE INDEX ix_wallet_entries_seller_id ON wallet_entries (seller_id);
COMMIT;
